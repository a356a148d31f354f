/**
 * ECharts with only what the views use (tree-shaken), on the canvas renderer. Tooltips are rendered
 * as rich text on the canvas (renderMode 'richText' in each option), never as HTML: names from the
 * server reach the screen as text only.
 */
import { BarChart, HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent, LegendComponent, DataZoomComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, LegendComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };
export type EChartsOption = echarts.EChartsCoreOption;
